"""Mail and SMS in and out: what an arriving message becomes, what customers are told."""
