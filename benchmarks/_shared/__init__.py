"""Helpers shared by the benchmarks and the experiments: held-out datasets and a knowledge base
without them (:mod:`.heldout`), the seed's performance table and its leave-one-group-out folds
(:mod:`.tables`)."""
