-- Consultations at scale (issue 4: 5,000 observations). The document page
-- counts observations per paragraph and published outcome; these indexes
-- answer both of its queries without reading the rows, whose texts make
-- them large. The replies' index replaces the narrower one it extends.
CREATE INDEX consultation_observations_stats ON consultation_observations(component_id, status, paragraph_id);
DROP INDEX consultation_replies_component;
CREATE INDEX consultation_replies_outcomes ON consultation_replies(component_id, published_at, outcome);
