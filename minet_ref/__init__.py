"""The MINet of Shen et al. (IEEE TII 2024), faithful to the authors checkpoint."""
