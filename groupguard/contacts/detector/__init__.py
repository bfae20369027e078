"""The statistical half of the confidentiality-request detector, and who said what.

``groupguard.contacts.detect`` is the entry point: it runs the explainable rules, this
package's model (``model``), the attribution of each match to a speaker (``speaker``) and the
risk rules (``risk``), and decides. Nothing here imports Django: ``groupguard detect`` answers
before Django starts.
"""
