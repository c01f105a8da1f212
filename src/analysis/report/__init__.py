"""Report building: display helpers for notebooks, merging, HTML export, index page."""
