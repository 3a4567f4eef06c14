"""`python -m tools.faq_model train`: see tools/faq_model/train.py."""
import sys

from tools.faq_model.train import main

if __name__ == "__main__":
    sys.exit(main())
