"""Did it work? Read an export back, compare its arms over the outcome window, backtest."""
