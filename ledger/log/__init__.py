"""ledger/log"""
