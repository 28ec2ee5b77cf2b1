# Copyright 2026 vuer_ros developers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
The browser harness itself: in CI a missing Chromium fails the browser tests.

A skipped browser test is green, so a CI machine without Chromium would pass without ever
opening the client. These run with or without a browser: the Chromium lookup is replaced
by one that finds none.
"""

import browser
import pytest


@pytest.fixture
def no_chromium(monkeypatch) -> str:
    """Find no Chromium anywhere; give the reason the harness then reports."""
    monkeypatch.setattr(browser, 'find_chromium', lambda: None)
    reason = browser.browser_unavailable()
    assert reason is not None
    return reason


@pytest.mark.parametrize('ci', ['true', '1', 'True'])
def test_in_ci_a_missing_browser_fails_the_test(no_chromium, monkeypatch, ci):
    monkeypatch.setenv('CI', ci)
    with pytest.raises(pytest.fail.Exception) as failure:
        browser.require_browser()
    assert str(failure.value) == f'browser tests must run in CI, but: {no_chromium}'


def test_in_ci_a_module_level_call_lets_its_tests_be_collected(no_chromium, monkeypatch):
    monkeypatch.setenv('CI', 'true')
    monkeypatch.delenv('PYTEST_CURRENT_TEST')   # as while pytest imports a test module
    assert browser.require_browser() is None


@pytest.mark.parametrize('ci', [None, '', 'false', '0'])
def test_elsewhere_a_missing_browser_skips_the_test(no_chromium, monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv('CI', raising=False)
    else:
        monkeypatch.setenv('CI', ci)
    with pytest.raises(pytest.skip.Exception) as skip:
        browser.require_browser()
    assert str(skip.value) == no_chromium


def test_a_chromium_path_that_is_not_there_is_no_chromium(monkeypatch):
    monkeypatch.setenv('VUER_ROS_CHROMIUM', '/nonexistent/chromium')
    assert browser.find_chromium() is None
