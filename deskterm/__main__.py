"""`python -m deskterm` runs the same entry point as the `deskterm` script."""

from deskterm.entry import main

if __name__ == "__main__":
    main()
