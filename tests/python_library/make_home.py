"""Writes a home as the Python ipfs_kit_py library and its dashboard write it.

MetadataManager: `open(path, 'w')` + `json.dump(obj, f, indent=2)` (ensure_ascii), naive
`datetime.now().isoformat()` timestamps, a second `datetime.now()` for each index entry, any
id as the file name, `"type": "unknown"` in the index for a config without one. The dashboard:
`backends.json`, and `backends/NAME.yaml` with `policies/NAME_policy.json`.

Usage: python3 make_home.py HOME
"""

import json
import os
import sys
from datetime import datetime


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def main(home):
    for sub in ("config", "backends", "metadata", "policies"):
        os.makedirs(os.path.join(home, sub), exist_ok=True)
    config = {
        "version": "1.0",
        "created": datetime.now().isoformat(),
        "backends": {},
        "global_settings": {
            "default_cache_size": "1GB",
            "log_level": "INFO",
            "auto_cleanup": True,
            "python_only": {"nested": ["caf\u00e9", 1]},
        },
    }
    backends = {
        # Ids the library allows and our creation rule does not.
        "_staging": {"type": "local", "path": "/tmp", "enabled": True},
        "my backend": {"type": "local", "path": "/tmp"},
        "caf\u00e9": {"type": "local", "path": "/tmp", "note": "\u2603 snow"},
        # No type at all: the library indexes it as "unknown".
        "untyped": {"path": "/srv/data"},
        # The library's demo backends: kinds we do not probe, and a known kind left incomplete.
        "filesystem_demo": {"type": "filesystem", "path": "/tmp", "enabled": True},
        "hf_demo": {"type": "huggingface", "enabled": True},
        "lassie_demo": {"type": "lassie", "enabled": False, "endpoint": "http://127.0.0.1:1"},
    }
    for backend_id, backend_config in backends.items():
        dump(
            os.path.join(home, "backends", backend_id + ".json"),
            {"id": backend_id, "updated": datetime.now().isoformat(), "config": backend_config},
        )
        config["backends"][backend_id] = {
            "enabled": backend_config.get("enabled", True),
            "type": backend_config.get("type", "unknown"),
            "updated": datetime.now().isoformat(),
        }
        dump(os.path.join(home, "config", "main.json"), config)
    dump(
        os.path.join(home, "metadata", "python_key.json"),
        {"key": "python_key", "value": {"x": "caf\u00e9"}, "updated": datetime.now().isoformat()},
    )
    dump(
        os.path.join(home, "backends.json"),
        {
            "ipfs_dash": {
                "type": "ipfs",
                "description": "dashboard IPFS",
                "created_at": datetime.now().isoformat(),
            }
        },
    )
    with open(os.path.join(home, "backends", "local_fs.yaml"), "w") as f:
        f.write(
            "name: local_fs\ntype: local\nstatus: enabled\ndescription: Local filesystem\n"
            "config:\n  path: /tmp/ipfs_kit_local\n"
        )
    with open(os.path.join(home, "backends", "s3_demo.yaml"), "w") as f:
        f.write(
            "name: s3_demo\ntype: s3\nstatus: disabled\nconfig:\n  bucket: demo\n"
            "  access_key: AKIADEMO\n  secret_key: very-secret-demo\n"
        )
    dump(
        os.path.join(home, "policies", "local_fs_policy.json"),
        {"storage_quota": {"max_size": 10, "unit": "GB"}},
    )


if __name__ == "__main__":
    main(sys.argv[1])
