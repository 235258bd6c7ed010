"""One module per kind of page: tools (stateless API), office (rounds), department (token links), docs."""
