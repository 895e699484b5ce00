"""The ground floor: workspace settings, the catalog, errors, windows, operators, YAML and files."""
