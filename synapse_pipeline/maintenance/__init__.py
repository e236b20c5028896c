"""Maintenance: the warehouse backup, taken after the loads, KPI tables and reports."""
