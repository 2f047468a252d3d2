"""``python -m cli``: the same CLI as ``motcua``."""

from cli import main

if __name__ == "__main__":  # a spawned worker process re-imports this module
    main()
