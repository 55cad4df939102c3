"""Models: load a model and tokenizer, find its decoder blocks, read its hidden states; the zoo."""
