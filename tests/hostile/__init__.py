"""A corpus of hostile deployment packages (see make_corpus.py) for tests/test_hostile.py."""
