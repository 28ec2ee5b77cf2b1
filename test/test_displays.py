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
The display registry and what is derived from it: parameters, config file, README, discovery.

All pure: no ROS needed. The node's use of the registry is tested end to end in
test_bridge_node.py.
"""

from pathlib import Path
import re

from msg_factory import marker, message_class
import pytest

from vuer_ros.convert import markers as M
from vuer_ros.displays import BY_MESSAGE_TYPE, DISPLAYS, frames
from vuer_ros.displays.base import Display, Param
from vuer_ros.displays.discovery import GraphTopic, INFRASTRUCTURE, TopicDiscovery
from vuer_ros.displays.markers import MarkerStore
from vuer_ros.settings import (ConfigError, launch_arguments, parameters, render_markdown,
                               render_yaml, settings_from_values)

REPO = Path(__file__).resolve().parent.parent
#: Parameter names users of the first release have in their files and launch commands.
NAMES_USERS_HAVE = (
    'host', 'port', 'client_reconnect', 'client_collapse_menu', 'client_dir',
    'client_byte_limit', 'fixed_frame', 'static_frames', 'use_tf', 'frame_axes',
    'marker_topics', 'marker_array_topics', 'pose_topics', 'pose_covariance_topics',
    'pose_array_topics', 'transform_topics', 'odometry_topics', 'path_topics', 'pose_style',
    'pose_length', 'pose_radius', 'path_width', 'max_rate', 'topic_rates', 'queue_depth',
    'marker_array_backlog', 'mesh_roots')


# -- the registry --------------------------------------------------------------------------

def test_every_display_kind_is_complete_and_unique():
    kinds = [display.kind for display in DISPLAYS]
    assert len(set(kinds)) == len(kinds)
    assert len(BY_MESSAGE_TYPE) == len(DISPLAYS)   # one display per message type
    for display in DISPLAYS:
        assert issubclass(display, Display) and display.on_message is not Display.on_message
        assert re.fullmatch(r'[a-z0-9_]+_msgs/msg/[A-Z]\w+', display.message_type)
        assert display.topics_param().name == f'{display.kind}_topics'
        assert display.qos.why and display.__doc__
        # Each display module is one file named after its family.
        assert display.__module__.startswith('vuer_ros.displays.')


def test_the_message_types_are_real_ros_types():
    for display in DISPLAYS:
        if display.message_type.startswith('tf2_msgs/'):
            continue   # no PyPI wheel; built by the ROS install (see the README)
        cls = message_class(display.message_type)
        assert cls.__name__ == display.message_type.rsplit('/', 1)[1]


def test_parameter_names_users_have_keep_working():
    names = [param.name for param in parameters()]
    assert len(set(names)) == len(names), 'a parameter is declared twice'
    assert set(NAMES_USERS_HAVE) <= set(names)
    assert {'auto_topics', 'topic_allowlist', 'topic_denylist', 'tf_topics'} <= set(names)
    for param in parameters():
        assert isinstance(param, Param) and param.description.endswith(('.', ')'))


def test_derived_files_are_current():
    """config/viewer.yaml and the README table are generated: regenerate, don't hand-edit."""
    assert (REPO / 'config' / 'viewer.yaml').read_text() == render_yaml(), (
        'run: python -m vuer_ros.settings yaml > config/viewer.yaml')
    readme = (REPO / 'README.md').read_text()
    table = readme.split('<!-- parameters:begin -->\n', 1)[1].split('<!-- parameters:end')[0]
    assert table == render_markdown(), 'run: python -m vuer_ros.settings markdown'


def test_launch_arguments_cover_every_parameter_with_its_type():
    arguments = {name: kind for name, kind, _ in launch_arguments()}
    assert set(arguments) == {param.name for param in parameters()}
    assert arguments['port'] is int and arguments['max_rate'] is float
    assert arguments['marker_topics'] is list and arguments['use_tf'] is bool


# -- settings ------------------------------------------------------------------------------

def test_defaults_are_valid_and_show_rviz2s_marker_topics():
    settings = settings_from_values({})
    topics = {kind.kind: topics for kind, topics in settings.topics.items()}
    assert topics['marker'] == ('/visualization_marker',)
    assert topics['marker_array'] == ('/visualization_marker_array',)
    assert topics['tf'] == ('/tf', '/tf_static')
    assert topics['pose'] == () and settings['auto_topics'] is True
    assert settings.auto_shows('/anything') and settings.fixed_frame == 'map'


def test_empty_lists_switch_a_list_off():
    """``-p marker_topics:=[]`` reaches the node as None; [''] comes from YAML files."""
    settings = settings_from_values({'marker_topics': None, 'static_frames': [''],
                                     'pose_topics': ['', ' /a ']})
    topics = {kind.kind: topics for kind, topics in settings.topics.items()}
    assert topics['marker'] == () and topics['pose'] == ('/a',)
    assert settings.static_frames == ()


@pytest.mark.parametrize('values, problem', [
    ({'pose_style': 'cone'}, 'pose_style must be one of'),
    ({'fixed_frame': ' / '}, 'fixed_frame must not be empty'),
    ({'static_frames': ['a b 1 2']}, 'want "parent child'),
    ({'static_frames': ['a b 1 2 3 x 0 0']}, 'must be numbers'),
    ({'static_frames': ['a b 1 2 3 nan 0 0']}, 'must be finite'),
    ({'topic_rates': ['/a']}, 'TOPIC=HZ'),
    ({'topic_rates': ['/a=-1']}, 'TOPIC=HZ'),
    ({'topic_denylist': ['(unclosed']}, 'topic_denylist entry'),
    ({'queue_depth': 0}, 'queue_depth must be in'),
])
def test_bad_values_are_refused_naming_the_parameter(values, problem):
    with pytest.raises(ConfigError, match=re.escape(problem)):
        settings_from_values(values)


def test_static_frames_and_rates_are_parsed():
    settings = settings_from_values({'static_frames': ['/map laser 1 2 3 0 0 1.5'],
                                     'topic_rates': ['/scan=5', '/odom = 0'],
                                     'max_rate': 30.0})
    (frame,) = settings.static_frames
    assert (frame.parent, frame.child) == ('map', 'laser')
    assert (frame.xyz, frame.rpy) == ((1, 2, 3), (0, 0, 1.5))
    assert settings.rate_for('/scan') == 5 and settings.rate_for('/odom') == 0
    assert settings.rate_for('/other') == 30


def test_allow_and_deny_lists_are_full_matches():
    settings = settings_from_values({'topic_allowlist': ['/robot/.*', '/map'],
                                     'topic_denylist': ['.*/debug/.*']})
    assert settings.auto_shows('/robot/pose') and settings.auto_shows('/map')
    assert not settings.auto_shows('/map_updates')   # full match, as foxglove_bridge
    assert not settings.auto_shows('/robot/debug/markers')


def test_tf_display_uses_latched_qos_for_tf_static_only():
    assert frames.TfDisplay.qos_for('/tf_static').transient_local
    assert frames.TfDisplay.qos_for('/robot1/tf_static').transient_local
    assert not frames.TfDisplay.qos_for('/tf').transient_local
    assert not frames.TfDisplay.enabled({'use_tf': False})


# -- discovery -----------------------------------------------------------------------------

POSE = 'geometry_msgs/msg/PoseStamped'
MARKERS = 'visualization_msgs/msg/MarkerArray'


def discovery(explicit=(), **values) -> TopicDiscovery:
    settings = settings_from_values(values)
    return TopicDiscovery(explicit, settings.auto_shows, settings.options)


def test_discovery_shows_displayable_topics_once_and_drops_vanished_ones():
    found = discovery()
    plan = found.scan([GraphTopic('/goal', (POSE,), 1), GraphTopic('/m', (MARKERS,), 2)])
    shown = [(topic, kind.kind) for topic, kind in plan.show]
    assert shown == [('/goal', 'pose'), ('/m', 'marker_array')]
    assert found.scan([GraphTopic('/goal', (POSE,), 1),
                       GraphTopic('/m', (MARKERS,), 2)]).show == []   # nothing new
    plan = found.scan([GraphTopic('/goal', (POSE,), 0)])   # /goal lost its publisher
    assert sorted(plan.drop) == ['/goal', '/m']
    plan = found.scan([GraphTopic('/goal', (POSE,), 1)])   # and came back
    assert [topic for topic, _ in plan.show] == ['/goal']


def test_discovery_leaves_explicit_and_filtered_topics_alone():
    found = discovery(explicit=['/goal'], topic_denylist=['/private/.*'])
    plan = found.scan([GraphTopic('/goal', (POSE,), 1),
                       GraphTopic('/private/pose', (POSE,), 1),
                       GraphTopic('/tf', ('tf2_msgs/msg/TFMessage',), 1)])
    assert [topic for topic, _ in plan.show] == ['/tf']
    assert discovery(use_tf=False).scan(
        [GraphTopic('/tf', ('tf2_msgs/msg/TFMessage',), 1)]).show == []


def test_unknown_types_are_reported_once():
    found = discovery()
    graph = [GraphTopic('/chatter', ('std_msgs/msg/Int32',), 1),
             *(GraphTopic(name, ('rcl_interfaces/msg/Log',), 1) for name in INFRASTRUCTURE)]
    assert found.scan(graph).unknown == [('/chatter', 'std_msgs/msg/Int32')]
    assert found.scan(graph).unknown == []


def test_a_topic_with_several_types_is_shown_by_the_first_that_has_a_display():
    plan = discovery().scan([GraphTopic('/x', ('std_msgs/msg/Int32', POSE), 1)])
    assert [(topic, kind.kind) for topic, kind in plan.show] == [('/x', 'pose')]


# -- marker bookkeeping ----------------------------------------------------------------------

def test_store_tracks_keys_deletes_and_namespaced_deleteall():
    store = MarkerStore('/m')
    slot = store.add(marker(M.CUBE, ns='a', marker_id=1, frame_id='/base'), now=0.0)
    assert slot == ('marker:/m:a:1', 'base', None)
    store.add(marker(M.CUBE, ns='a', marker_id=2), now=0.0)
    store.add(marker(M.CUBE, ns='b', marker_id=1), now=0.0)
    moved = store.add(marker(M.SPHERE, ns='a', marker_id=1, frame_id='map'), now=1.0)
    assert moved.key == slot.key and moved.frame_id == 'map'
    assert len(store) == 3 and ('a', 1) in store
    assert store.delete('a', 2) == ['marker:/m:a:2'] and store.delete('a', 2) == []
    assert store.delete_all('b') == ['marker:/m:b:1']
    assert store.delete_all('nothing') == []
    store.add(marker(M.CUBE, ns='c', marker_id=5), now=0.0)
    assert sorted(store.delete_all()) == ['marker:/m:a:1', 'marker:/m:c:5'] and not len(store)


def test_store_lifetime_restarts_on_re_add_and_zero_is_forever():
    store = MarkerStore('/m')
    store.add(marker(M.CUBE, marker_id=1, lifetime=(2, 500_000_000)), now=10.0)
    store.add(marker(M.CUBE, marker_id=2), now=10.0)
    store.add(marker(M.CUBE, marker_id=3, lifetime=(0, 100_000)), now=10.0)  # RViz: forever
    store.add(marker(M.CUBE, marker_id=4, lifetime=(1, 0)), now=10.0)
    assert store.expired(11.0) == ['marker:/m:test:4']
    store.add(marker(M.CUBE, marker_id=1, lifetime=(2, 500_000_000)), now=12.0)
    assert store.expired(13.0) == []
    assert store.expired(14.5) == ['marker:/m:test:1']
    assert store.expired(1e9) == [] and len(store) == 2
