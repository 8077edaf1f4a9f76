import { render } from 'preact';
import { takeTokenFromHash } from './api';
import { App } from './app';
import './style.css';

takeTokenFromHash();
render(<App />, document.getElementById('app')!);
