"""Head motion, gaze, blinks and temporal filtering: what makes a talking head look alive."""
