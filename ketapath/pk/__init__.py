"""The pharmacokinetic preview page: a regimen in, the predicted plasma curve out."""
