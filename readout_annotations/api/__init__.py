"""The REST API: serializers, permissions, pagination, filters and views.

The URLs live in ``readout_annotations.urls``; a host includes them under any prefix.
"""
