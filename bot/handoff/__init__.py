"""Handing a conversation to a person: triggers, queue, agents, context, delivery."""
