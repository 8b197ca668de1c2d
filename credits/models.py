"""Credit claims, the credit policy, review, appeals and reversals."""
