"""taizhang (台账): validate, split, merge and roll up the work ledgers offices keep in Excel.

Installed, the repository's top-level folders are the subpackages `taizhang.validator`,
`taizhang.ledgerops`, `taizhang.addin` and `taizhang.templates`, and `cli.py` is `taizhang.cli`.
"""
