"""The officials' workbench 工作台 under ``/workbench``: every official signs in with its own
key (the inspectors' sign-in, generalised), enrols colleagues' keys and sees what is due."""
