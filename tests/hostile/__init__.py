"""A hostile corpus: inputs an agent, a model or a user could throw at Hawk, each with the outcome Hawk
must give. The tables are data (kernels.py, replies.py, mcp_calls.py, cli_args.py, task_files.py);
judge.py runs a case and says whether Hawk behaved: the expected outcome, no false pass (a hostile
kernel judged `pass`), no crash of Hawk (an exception out of Hawk, a dead server). tests/test_hostile.py
runs them; benchmarks/hostile.py prints the figures."""
