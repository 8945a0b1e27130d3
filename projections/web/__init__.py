"""The public web pages: server-rendered Chinese pages over the public projection."""
