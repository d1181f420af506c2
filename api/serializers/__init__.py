"""Explicit serializers, one module per resource group. They validate shape only; services do the rest."""
