"""The static export: the public pages, feeds and proofs written as files for any web
server (``sunshine export-site``)."""
