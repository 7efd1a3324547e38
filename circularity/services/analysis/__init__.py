"""What park management reads: custody records, figures, monthly totals, dashboard, report.

``records`` turns the event log into mfa's plain inputs (one statement of the rules);
``figures`` asks mfa for reconciliation, indicators and Sankey diagrams; ``monthly_totals``
keeps the dashboard's exact gram totals in each event's transaction and rebuilds them from
the log; ``dashboard``, ``tables`` and ``report`` build the dashboard, its CSV tables and PDF;
``pages`` gathers what each analysis and dashboard page shows in one call.

Nothing here writes custody data; it may use the shared services and read every model and
the carbon balance.
"""
