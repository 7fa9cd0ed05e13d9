"""``python -m hub.auth hash``: an argon2 hash of a password or token for a config file."""

from __future__ import annotations

import getpass
import sys

from hub.auth.credentials import hash_secret


def main(argv: list[str]) -> int:
    if argv != ["hash"]:
        print(
            "usage: python -m hub.auth hash   (reads the secret without echoing it)",
            file=sys.stderr,
        )
        return 2
    secret = (
        getpass.getpass("secret: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    )
    if not secret:
        print("an empty secret cannot be hashed", file=sys.stderr)
        return 1
    print(hash_secret(secret))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
