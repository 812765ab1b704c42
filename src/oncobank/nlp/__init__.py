"""Report structuring: rules read from the disease module turn report texts into facts with their source spans."""
