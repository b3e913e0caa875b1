"""The commendation domain (thi đua, khen thưởng) on top of the engine: organisation,
periods, the award catalogue, nominations and dossiers, the rules (guards), cluster review,
council ballots, award history and decisions. Framework-free, like the engine."""
