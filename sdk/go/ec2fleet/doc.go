// A complete, load-balanced, continuously deployable EC2 fleet on AWS as one resource.
package ec2fleet
