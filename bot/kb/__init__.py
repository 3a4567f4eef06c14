"""The FAQ knowledge base: human-edited YAML files, validated, searched at run time."""
