#!/usr/bin/python3
"""Runs one Swift WSGI server with swift.conf taken from the test directory instead of
/etc/swift, so no root and no system configuration is needed.
Usage: swift_launcher.py SWIFT_CONF SERVER_CONF NAME   (NAME: proxy-server, object-server, ...)"""
import sys

from swift.common import utils

utils.SWIFT_CONF_FILE = sys.argv[1]
from swift.common import storage_policy  # noqa: E402

storage_policy.SWIFT_CONF_FILE = sys.argv[1]
storage_policy.reload_storage_policies()
utils.validate_hash_conf()
from swift.common.wsgi import run_wsgi  # noqa: E402

sys.exit(run_wsgi(sys.argv[2], sys.argv[3], verbose=False))
