#!/usr/bin/env python3
"""A stand-in for the Python ipfs_kit_py library writing a shared home (tests/python_concurrent.rs).

MetadataManager below reproduces what ipfs_kit_py/metadata_manager.py does, faithfully and with
its faults left in (do not improve on them, the point is to test against the real behaviour):

- config/main.json is loaded ONCE when the instance is made and kept in memory; every backend or
  setting change saves the whole of it, so a long-lived instance overwrites whatever others
  changed since it loaded.
- Every write is `with open(path, 'w') as f: json.dump(obj, f, indent=2)`: truncate, then
  chunked writes in place. No temp file, no rename, no fsync, no lock; ensure_ascii as default.
- A read that fails for any reason (a half-written file) gives {}.
- Timestamps are datetime.now().isoformat(): local, naive, with microseconds.
- Any id is accepted as a file name as is ('_staging', 'my backend', 'cafe' with an accent); a
  config without "type" is indexed as "unknown"; "enabled" defaults to true.

The driver performs a deterministic mix of operations (from --seed) and writes a journal of what
it expects to find afterwards:

    python3 library_writer.py --home DIR --ops N [--seed S] [--pause-ms MS] --journal FILE

Standard library only (Python 3.11).
"""

import argparse
import copy
import json
import random
import sys
import time
from datetime import datetime
from pathlib import Path


class MetadataManager:
    """The parts of ipfs_kit_py's MetadataManager that write the shared home."""

    def __init__(self, base_path):
        self.base_path = Path(base_path)
        self.config_dir = self.base_path / "config"
        self.backends_dir = self.base_path / "backends"
        self.metadata_dir = self.base_path / "metadata"
        self.cache_dir = self.base_path / "cache"
        self.logs_dir = self.base_path / "logs"
        for directory in (
            self.base_path,
            self.config_dir,
            self.backends_dir,
            self.metadata_dir,
            self.cache_dir,
            self.logs_dir,
        ):
            directory.mkdir(parents=True, exist_ok=True)
        self._create_default_files()
        # Loaded once; every later save writes this copy back whole.
        self._config = self._load_config()

    def _create_default_files(self):
        default_config = {
            "version": "1.0",
            "created": datetime.now().isoformat(),
            "backends": {},
            "global_settings": {
                "default_cache_size": "1GB",
                "log_level": "INFO",
                "auto_cleanup": True,
            },
        }
        config_file = self.config_dir / "main.json"
        if not config_file.exists():
            with open(config_file, "w") as f:
                json.dump(default_config, f, indent=2)

    def _load_config(self):
        config_file = self.config_dir / "main.json"
        try:
            if config_file.exists():
                with open(config_file, "r") as f:
                    return json.load(f)
        except Exception as e:  # the library logs and carries on with {}
            print(f"library_writer: error loading config from {config_file}: {e}", file=sys.stderr)
        return {}

    def _save_config(self):
        config_file = self.config_dir / "main.json"
        try:
            with open(config_file, "w") as f:
                json.dump(self._config, f, indent=2)
        except Exception as e:
            print(f"library_writer: error saving config to {config_file}: {e}", file=sys.stderr)

    def get_backend_config(self, backend_id):
        backend_file = self.backends_dir / f"{backend_id}.json"
        try:
            if backend_file.exists():
                with open(backend_file, "r") as f:
                    return json.load(f)
        except Exception as e:
            print(f"library_writer: error loading backend {backend_id}: {e}", file=sys.stderr)
        return None

    def set_backend_config(self, backend_id, config):
        backend_file = self.backends_dir / f"{backend_id}.json"
        try:
            config_with_meta = {
                "id": backend_id,
                "updated": datetime.now().isoformat(),
                "config": config,
            }
            with open(backend_file, "w") as f:
                json.dump(config_with_meta, f, indent=2)
            if "backends" not in self._config:
                self._config["backends"] = {}
            # A second clock read: the index entry's stamp differs from the file's.
            self._config["backends"][backend_id] = {
                "enabled": config.get("enabled", True),
                "type": config.get("type", "unknown"),
                "updated": datetime.now().isoformat(),
            }
            self._save_config()
            return True
        except Exception as e:
            print(f"library_writer: error saving backend config {backend_id}: {e}", file=sys.stderr)
            return False

    def remove_backend(self, backend_id):
        backend_file = self.backends_dir / f"{backend_id}.json"
        try:
            if backend_file.exists():
                backend_file.unlink()
            if "backends" in self._config and backend_id in self._config["backends"]:
                del self._config["backends"][backend_id]
                self._save_config()
            return True
        except Exception as e:
            print(f"library_writer: error removing backend {backend_id}: {e}", file=sys.stderr)
            return False

    def list_backends(self):
        try:
            return [f.stem for f in self.backends_dir.glob("*.json")]
        except Exception:
            return []

    def get_metadata(self, key):
        metadata_file = self.metadata_dir / f"{key}.json"
        try:
            if metadata_file.exists():
                with open(metadata_file, "r") as f:
                    return json.load(f).get("value")
        except Exception as e:
            print(f"library_writer: error loading metadata {key}: {e}", file=sys.stderr)
        return None

    def set_metadata(self, key, value):
        metadata_file = self.metadata_dir / f"{key}.json"
        try:
            metadata = {"key": key, "value": value, "updated": datetime.now().isoformat()}
            with open(metadata_file, "w") as f:
                json.dump(metadata, f, indent=2)
            return True
        except Exception as e:
            print(f"library_writer: error saving metadata {key}: {e}", file=sys.stderr)
            return False

    def get_global_setting(self, key, default=None):
        return self._config.get("global_settings", {}).get(key, default)

    def set_global_setting(self, key, value):
        try:
            if "global_settings" not in self._config:
                self._config["global_settings"] = {}
            self._config["global_settings"][key] = value
            self._save_config()
            return True
        except Exception as e:
            print(f"library_writer: error setting global setting {key}: {e}", file=sys.stderr)
            return False


# --- the driver -------------------------------------------------------------------------------


def setting_value(rng, i):
    """A value of one of the JSON types, some with non-ASCII text."""
    choice = rng.randrange(6)
    if choice == 0:
        return f"café ☃ {i}"
    if choice == 1:
        return rng.randrange(1_000_000)
    if choice == 2:
        return rng.random() < 0.5
    if choice == 3:
        return {"n": i, "label": "naïve ünïcode ☃", "list": [1, "zwei", None]}
    if choice == 4:
        return [i, f"item-{i}", 1.5]
    return f"plain-{i}"


def backend_id(rng, i):
    """Ids the library accepts as file names as they are, odd ones included."""
    choice = rng.randrange(4)
    if choice == 0:
        return f"_staging-{i}"
    if choice == 1:
        return f"my backend {i}"
    if choice == 2:
        return f"café-{i}"
    return f"py-{i}"


def backend_config(rng, i):
    """A known kind, a config without "type", or a kind we do not know."""
    choice = rng.randrange(3)
    if choice == 0:
        return {"type": "local", "enabled": True, "path": "/tmp"}
    if choice == 1:
        return {"enabled": rng.random() < 0.5, "path": "/tmp", "note": f"no type ☃ {i}"}
    return {"type": "filesystem", "enabled": True, "root": "/tmp", "label": f"fs-{i}"}


def change_config(rng, config, i):
    """The same config with one field changed, as a caller of set_backend_config would."""
    changed = copy.deepcopy(config)
    choice = rng.randrange(3)
    if choice == 0:
        changed["enabled"] = not changed.get("enabled", True)
    elif choice == 1:
        changed["path"] = f"/tmp/changed-{i}"
    else:
        changed["comment"] = f"changed at op {i} — café"
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--ops", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pause-ms", type=float, default=5.0)
    parser.add_argument("--journal", required=True)
    parser.add_argument(
        "--instance-per-op",
        action="store_true",
        help="a new MetadataManager for every operation, as short-lived scripts make one: it "
        "loads main.json afresh, so a write of someone else's since its last save is kept, "
        "and a loss of its own changes can only come from another writer's rewrite",
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    manager = MetadataManager(args.home)
    rng = random.Random(args.seed)

    settings = {}
    backends = {}  # id -> final config, for the ones that should exist
    removed = []
    metadata = {}
    counts = {"set_global_setting": 0, "set_backend_config": 0, "reset_backend_config": 0,
              "remove_backend": 0, "set_metadata": 0}
    failed = []

    for i in range(args.ops):
        if args.instance_per_op and i > 0:
            manager = MetadataManager(args.home)
        roll = rng.random()
        if roll < 0.55:
            key = f"py_setting_{i}"
            value = setting_value(rng, i)
            ok = manager.set_global_setting(key, value)
            settings[key] = value
            counts["set_global_setting"] += 1
            what = f"set_global_setting({key!r})"
        elif roll < 0.80 or not backends:
            bid = backend_id(rng, i)
            config = backend_config(rng, i)
            ok = manager.set_backend_config(bid, config)
            backends[bid] = config
            counts["set_backend_config"] += 1
            what = f"set_backend_config({bid!r})"
        elif roll < 0.88:
            bid = rng.choice(sorted(backends))
            config = change_config(rng, backends[bid], i)
            ok = manager.set_backend_config(bid, config)
            backends[bid] = config
            counts["reset_backend_config"] += 1
            what = f"set_backend_config({bid!r}) again"
        elif roll < 0.93:
            bid = rng.choice(sorted(backends))
            ok = manager.remove_backend(bid)
            del backends[bid]
            removed.append(bid)
            counts["remove_backend"] += 1
            what = f"remove_backend({bid!r})"
        else:
            key = f"py_meta_{i}"
            value = {"op": i, "note": "métadonnée ☃", "when": datetime.now().isoformat()}
            ok = manager.set_metadata(key, value)
            metadata[key] = value
            counts["set_metadata"] += 1
            what = f"set_metadata({key!r})"
        if not ok:
            failed.append(what)
        if args.pause_ms > 0:
            time.sleep(args.pause_ms / 1000.0)

    elapsed = time.monotonic() - started
    journal = {
        "ops": args.ops,
        "seed": args.seed,
        "elapsed_secs": round(elapsed, 3),
        "counts": counts,
        "failed": failed,
        "settings": settings,
        "backends": backends,
        "removed": removed,
        "metadata": metadata,
    }
    with open(args.journal, "w") as f:
        json.dump(journal, f, indent=2)
    print(
        f"library_writer: {args.ops} ops in {elapsed:.2f}s: "
        + ", ".join(f"{name} {n}" for name, n in counts.items())
        + f"; {len(settings)} settings, {len(backends)} backends expected, "
        f"{len(removed)} removed, {len(metadata)} metadata keys, {len(failed)} failed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
