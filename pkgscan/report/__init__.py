"""Output formats.  Each takes the model and returns text; none reaches into the pipeline."""
