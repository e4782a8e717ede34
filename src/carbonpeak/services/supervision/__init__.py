"""Plan supervision: the task catalogue, dispatch rounds (调度), sector indicators, green-creation
programmes and the yearly assessment (考核). It reads and writes the plan's targets."""
