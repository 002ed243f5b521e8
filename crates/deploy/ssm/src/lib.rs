//! SSM Parameter Store
