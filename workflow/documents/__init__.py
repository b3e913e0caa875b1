"""Official documents: the award decision in the Decree 30/2020 layout, the council's minutes
and certificates as PDFs; digital signatures (PAdES, SHA-256) with pyHanko; verification.

This package sits between the engine and the web app: it reads the domain (``workflow``) and
is wired into the engine by the application (``web``) as the decision ``publisher`` service,
so the engine itself never imports a PDF library.
"""
