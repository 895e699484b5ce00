"""Export a campaign: the parent, the worker process, the rows, the file formats, the writer."""
