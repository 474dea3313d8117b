"""Result tables and reports, all derived from the forecast and metric frames."""
