"""After the meeting: versions, authorisation and return, amendments, follow-up entries, the
actions tracker and the manager's page. Every change goes through `service`."""
