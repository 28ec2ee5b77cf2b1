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
TLS for headsets: WebXR runs only in a secure context, so a Quest or Vision Pro needs https.

``python3 -m vuer_ros.tls [--out DIR] [--name NAME ...] [--ip ADDRESS ...]`` makes a
self-signed certificate for this robot: its host name, ``localhost`` and every IPv4
address of its interfaces in the subject alternative names (browsers check the SAN, not
the common name; a headset opening ``https://192.168.1.20:8012`` needs that IP there).
It is its own CA (so Vision Pro can install and trust it as a root), valid 825 days
(Apple's limit) and marked for server authentication. It is made with the ``openssl``
command, so nothing new is installed.
"""

import argparse
from pathlib import Path
import shutil
import socket
import ssl
import subprocess
import sys
from typing import Optional, Sequence

from vuer_ros.transport import interface_addresses

#: Apple's platforms refuse TLS server certificates valid for longer.
MAX_DAYS = 825
CERT_NAME = 'vuer_ros.crt'
KEY_NAME = 'vuer_ros.key'


class TlsError(RuntimeError):
    """The certificate can't be made or loaded; the text says what to do."""


def server_context(certfile: str, keyfile: str = '') -> ssl.SSLContext:
    """Return an https server context from PEM files; raise TlsError naming the bad file."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile or None)
    except (OSError, ssl.SSLError) as error:
        raise TlsError(f'cannot load certfile {certfile!r} / keyfile {keyfile!r}: {error}. '
                       'Make a pair with: python3 -m vuer_ros.tls') from None
    return context


def subject_alt_names(names: Sequence[str], addresses: Sequence[str]) -> str:
    """Return the subjectAltName extension value for these DNS names and IP addresses."""
    entries = [f'DNS:{name}' for name in dict.fromkeys(names)]
    entries += [f'IP:{address}' for address in dict.fromkeys(addresses)]
    return ','.join(entries)


def make_certificate(out_dir: Path, names: Sequence[str], addresses: Sequence[str],
                     days: int = MAX_DAYS, openssl: Optional[str] = None) -> tuple[Path, Path]:
    """Write a self-signed certificate and its key (mode 600) in ``out_dir``; return both."""
    openssl = openssl or shutil.which('openssl')
    if openssl is None:
        raise TlsError('the openssl command is missing (apt-get install openssl)')
    out_dir.mkdir(parents=True, exist_ok=True)
    cert, key = out_dir / CERT_NAME, out_dir / KEY_NAME
    command = [
        openssl, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
        '-nodes', '-sha256', '-days', str(days), '-keyout', str(key), '-out', str(cert),
        '-subj', f'/CN={names[0]}/O=vuer_ros',
        '-addext', f'subjectAltName={subject_alt_names(names, addresses)}',
        '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'keyUsage=critical,digitalSignature,keyCertSign',
        '-addext', 'extendedKeyUsage=serverAuth',
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise TlsError(f'openssl failed: {done.stderr.strip()}')
    key.chmod(0o600)
    return cert, key


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Make the certificate and say how to use it."""
    parser = argparse.ArgumentParser(
        prog='python3 -m vuer_ros.tls',
        description='Make a self-signed TLS certificate for this robot, for headsets.')
    parser.add_argument('--out', type=Path, default=Path('.'),
                        help='folder for vuer_ros.crt and vuer_ros.key (default: here)')
    parser.add_argument('--name', action='append', default=[],
                        help='extra DNS name (the host name and localhost are always in)')
    parser.add_argument('--ip', action='append', default=[],
                        help='extra IP address (every interface address is always in)')
    parser.add_argument('--days', type=int, default=MAX_DAYS, help='validity, days')
    args = parser.parse_args(argv)
    names = [socket.gethostname(), f'{socket.gethostname()}.local', 'localhost', *args.name]
    addresses = [*interface_addresses(), '127.0.0.1', *args.ip]
    try:
        cert, key = make_certificate(args.out, names, addresses, args.days)
    except TlsError as error:
        print(f'vuer_ros.tls: {error}', file=sys.stderr)
        return 1
    print(f'wrote {cert} and {key} for {", ".join(dict.fromkeys(names + addresses))}\n'
          'serve https and wss with:\n'
          f'  ros2 run vuer_ros vuer_bridge --ros-args -p certfile:={cert.resolve()} '
          f'-p keyfile:={key.resolve()}\n'
          'then open the printed network URL on the headset and accept (Quest) or install '
          'and trust (Vision Pro) the certificate: see the README.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
