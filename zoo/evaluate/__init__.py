"""The paper's evaluation (section 5.1): FID, FID(LP), sKL, NLL, leakage and pictures."""
