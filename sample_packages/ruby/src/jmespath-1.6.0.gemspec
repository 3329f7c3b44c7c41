# -*- encoding: utf-8 -*-
# stub: jmespath 1.6.0 ruby lib

Gem::Specification.new do |s|
  s.name = "jmespath".freeze
  s.version = "1.6.0"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["Trevor Rowe".freeze]
  s.date = "2022-08-16"
  s.description = "Implements JMESPath for Ruby".freeze
  s.email = "trevorrowe@gmail.com".freeze
  s.homepage = "http://github.com/trevorrowe/jmespath.rb".freeze
  s.licenses = ["Apache-2.0".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "JMESPath - Ruby Edition".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version
end
