"""Where the retention clocks start (policy 004-duty-8, 000-3.1.10): the day the learner's
certificates arrived. Learner work is kept 12 weeks after it (domain.md 4.8), QA records
3 years after certification, and a learner is certificated when Pearson's certificate is
received. Registered with retention's clocks, so retention reads certification without
importing it."""

from retention.clocks import register_clock_start

from .selectors import certificates_arrived

register_clock_start("certificates_arrived", certificates_arrived)
register_clock_start("certified", certificates_arrived)
