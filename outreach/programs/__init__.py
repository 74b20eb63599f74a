"""Tech-touch programs (journey-lite): enrolment, steps run exactly once, their emails.

- ``enrol``: who enters a program (audience + entry condition), set-based.
- ``runner``: the due enrolments claimed and advanced in batches (beat).
- ``emails``: merge fields, the signed click and unsubscribe links, the bodies.
- ``services``: programs created, edited, paused and resumed by people; test sends.
- ``selectors``: what a reader may see of programs and enrolments.
"""
