"""`python -m liqsim`: the liqsim command line (see `liqsim.cli`)."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="liqsim")
