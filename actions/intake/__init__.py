"""The intake pre-screening conversation: form validation, submission and discarding.

``intake_form`` (domain) asks every question with ``utter_ask_<slot>`` (consent with
``action_ask_intake_consent``, :mod:`.asks`: the full text once, then a short re-ask);
each slot is filled from the text of the answer. ``validate_intake_form`` (:mod:`.validation`)
normalises each answer, or says why it cannot be used and returns ``None`` so the form
asks again; it also decides which questions apply (``required_slots``): email and/or
phone by the contact method, PHQ-9 and GAD-7 items only after a positive PHQ-2 / GAD-2,
the ASQ acuity question only after a positive ASQ answer (or PHQ-9 item 9 above 0), and
nothing more after a declined consent or an age under the minimum. Behaviour shared by
the validation (FAQ questions mid-form, fresh answers versus re-validation when a paused
intake resumes, counted tries and a way forward after two) lives in
:class:`.form_base.IntakeFormBase`. Before an answer is validated, the message is read
as a whole: a wish to stop or pause, "skip", or a correction of an earlier answer
(:mod:`.edits`, which also reads edit requests at the summary, "change my email").

``action_submit_intake`` (:mod:`.submission`) runs when the form ends (and on "try
again"): it closes a stopped, declined or under-age intake without storing anything
(a paused one keeps its answers), or stores
the confirmed one once (idempotency key), notifies staff with safe fields only
(:mod:`.messages`) and resets the intake slots. ``action_intake_discard`` forgets an
intake the person stopped. :mod:`.state` reads and resets the intake's slots.
Nothing here logs what the person wrote.
"""
