"""The synthetic province: a deterministic, realistic generator for demos, tests and benchmarks.

``ansinh synth --province 42 --people 1300000 --months 36 --seed 7`` writes a province shaped like a
real one: a population pyramid in households, about 55% of people in the labour force, employers with
a heavy-tailed size distribution paying at or above the regional minimum wage, compulsory SI for
roughly a third of the labour force and voluntary SI for a few per cent of it, HI above 90% of the
population, poor and near-poor households, deaths, moves and job changes, and planted duplicate
records (with a label file) for the de-duplication job.

Every component draws from its own random stream (``numpy.random.default_rng([seed, component])``),
so adding a component in a later issue (payments, claims, benefits) leaves the earlier ones
unchanged: the same seed always gives the same province.
"""
