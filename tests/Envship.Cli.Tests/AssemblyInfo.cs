// These tests build real prefixes of 100+ MB and run real interpreters; on two cores they are
// faster one at a time than fighting over the disk, and their temp paths stay easy to read.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
