"""Developer tools that are not part of the running assistant: simulators and local fakes of outside systems."""
